import { OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { RouteTable } from './route';

export function openApiDocument(table: RouteTable, serverUrl: string) {
  table.registry.registerComponent('securitySchemes', 'apiKey', { type: 'http', scheme: 'bearer', description: 'A team API key (hf_…)' });
  table.registry.registerComponent('securitySchemes', 'adminKey', { type: 'http', scheme: 'bearer', description: 'HOOKFERRY_ADMIN_KEY' });
  return new OpenApiGeneratorV31(table.registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Hookferry API',
      version: '0.1.0',
      description: 'Register webhook endpoints, ingest events, inspect and replay deliveries. Every error is { error: { code, message, details? } }.',
    },
    servers: [{ url: serverUrl }],
  });
}

export function docsPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hookferry API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>`;
}
