// Signature oracle for WebhookSignatureNodeTest.cpp, using the official twilio npm package.
// usage: node signature_oracle.js <twilio package dir> <cases.json> <out.json>
// cases: [{token, url, params: [[name, value], ...], signature}] where `signature` is ours.
// out:   [{expected: getExpectedTwilioSignature(...), valid: validateRequest(..., signature)}]
"use strict";
const fs = require("fs");
const twilio = require(process.argv[2]);
const cases = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
const out = cases.map((c) => {
  // The SDK takes parameters as an object; a repeated name becomes an array, as Express gives it.
  const params = {};
  for (const [name, value] of c.params) {
    if (!(name in params)) params[name] = value;
    else if (Array.isArray(params[name])) params[name].push(value);
    else params[name] = [params[name], value];
  }
  return {
    expected: twilio.getExpectedTwilioSignature(c.token, c.url, params),
    valid: twilio.validateRequest(c.token, c.signature, c.url, params),
  };
});
fs.writeFileSync(process.argv[4], JSON.stringify(out));
