exports.main_handler = async () => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify([{ id: 1, name: 'kettle' }, { id: 2, name: 'teapot' }]),
});
