// Validates the OpenAPI document on stdin against the official OpenAPI JSON Schema (by version)
// and prints { valid, version, errors } as JSON. A separate process because the validator is an
// ES module, which jest's CommonJS runtime cannot load.
import { Validator } from '@seriousme/openapi-schema-validator';

let input = '';
process.stdin.setEncoding('utf8');
for await (const chunk of process.stdin) input += chunk;
const validator = new Validator();
const result = await validator.validate(JSON.parse(input));
process.stdout.write(JSON.stringify({ valid: result.valid, version: validator.version, errors: result.errors ?? null }));
