'use strict';
// Makes the AWS SDK for JavaScript v2 ('aws-sdk') honour AWS_ENDPOINT_URL_<SERVICE> and AWS_ENDPOINT_URL, which it
// predates (v3 reads them itself). Nothing is loaded ahead of the function: the first time the function loads
// 'aws-sdk' (require or import, its own copy or Ferry's), the service configs of that copy get the endpoints the
// environment names, and S3 path-style addressing (Ferry's endpoint is an IP address, not a bucket's host name).

const Module = require('node:module');

/** v2's service identifiers and the AWS service ids of their variables. */
const SERVICES = Object.freeze({ s3: 'S3', dynamodb: 'DYNAMODB', sqs: 'SQS', lambda: 'LAMBDA', sns: 'SNS' });
const ENTRY = /(^|[\\/])aws-sdk([\\/]lib[\\/]aws\.js|[\\/]global\.js)?$/;
const configured = new WeakSet();

function endpointFor(serviceId, env = process.env) {
  return env[`AWS_ENDPOINT_URL_${serviceId}`] || env.AWS_ENDPOINT_URL || undefined;
}

/** Gives a loaded v2 SDK the endpoints of the environment (once per copy; a config the code sets itself wins). */
function configure(AWS, env = process.env) {
  if (!AWS || typeof AWS !== 'object' || !AWS.config || configured.has(AWS)) return;
  configured.add(AWS);
  for (const [identifier, serviceId] of Object.entries(SERVICES)) {
    const endpoint = endpointFor(serviceId, env);
    if (endpoint === undefined) continue;
    const own = AWS.config[identifier] ?? {};
    AWS.config[identifier] = identifier === 's3'
      ? { endpoint, s3ForcePathStyle: true, ...own }
      : { endpoint, ...own };
  }
}

function install() {
  if (Module._load.ferryAwsSdkV2) return;
  // Lambda's v2 runtimes shipped copies that predate v2's end-of-support notice on every cold start.
  process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= '1';
  const load = Module._load;
  const wrapped = function (request, ...rest) {
    const exported = load.call(this, request, ...rest);
    if (typeof request === 'string' && ENTRY.test(request) && typeof exported?.VERSION === 'string' && exported.VERSION.startsWith('2.')) {
      configure(exported);
    }
    return exported;
  };
  wrapped.ferryAwsSdkV2 = true;
  Module._load = wrapped;
}

module.exports = { install, configure, endpointFor };
