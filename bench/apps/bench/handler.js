'use strict';
exports.handle = async () => ({ ok: true });
