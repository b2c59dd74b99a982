// SCF handlers have Lambda's signature: (event, context) => result; API gateway results are { statusCode, headers, body }.
const json = (statusCode, body) => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

exports.index = async () => json(200, { shop: process.env.SHOP, functions: ['index', 'list', 'report'] });

exports.list = async (event) => json(200, { id: event.pathParameters.id, shop: process.env.SHOP });

exports.report = async (event) => {
  console.log(`report ${JSON.stringify(event)}`);
  return { done: true };
};
