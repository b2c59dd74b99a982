'use strict';

module.exports = (app) => {
  const { router, controller } = app;
  router.get('/', controller.home.index);
  router.get('/api/boats/:name', controller.boats.show);
};
