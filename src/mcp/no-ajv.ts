/**
 * Stands in for the MCP SDK's `validation/ajv-provider.js` in the bundle (rolldown.config.mjs
 * swaps it in). The SDK's Server builds an Ajv instance at construction only to check the
 * answers to `elicitation/create`, which this server never sends; loading Ajv for that cost
 * about 25 ms of every `uiprocs mcp` start (docs/DESIGN.md, "MCP server"). Should the
 * server ever elicit, this says so instead of accepting anything.
 */
import type { JsonSchemaValidator, jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';

export class AjvJsonSchemaValidator implements jsonSchemaValidator {
  getValidator<T>(): JsonSchemaValidator<T> {
    return () => ({
      valid: false,
      data: undefined,
      errorMessage:
        'uiprocs mcp validates no JSON Schema: it asks its client nothing (see src/mcp/no-ajv.ts)',
    });
  }
}
