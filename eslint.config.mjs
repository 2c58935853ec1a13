// Lint for what matters here: the import directions each folder's README.md states, and no import
// cycles. No style rules (formatting and naming are left to review).
import tsParser from '@typescript-eslint/parser';
import importPlugin from 'eslint-plugin-import';

const src = (dir) => `./src/${dir}`;

/**
 * Workflow code is bundled and replayed by Temporal: it may import values only from workflow-safe
 * modules (the workflow SDK, other workflow modules, src/temporal/names.ts, the pure src/domain/).
 * Types may come from anywhere (`import type`, e.g. the activities' signatures): they vanish at build.
 */
const WORKFLOW_SAFE = [/^@temporalio\/(workflow|common)$/, /^\.\/[^/]+$/, /^\.\.\/temporal\/names$/, /^\.\.\/domain\/[^/]+$/];
const workflowImports = {
  meta: {
    type: 'problem',
    schema: [],
    messages: { value: "workflow code may import values only from workflow-safe modules; '{{source}}' is not one (use `import type` for types)" },
  },
  create(context) {
    const check = (node, kind, specifiers) => {
      if (!node.source || kind === 'type') return;
      if (specifiers.length > 0 && specifiers.every((s) => s.importKind === 'type' || s.exportKind === 'type')) return;
      const source = String(node.source.value);
      if (!WORKFLOW_SAFE.some((re) => re.test(source))) context.report({ node, messageId: 'value', data: { source } });
    };
    return {
      ImportDeclaration: (node) => check(node, node.importKind, node.specifiers),
      ExportNamedDeclaration: (node) => check(node, node.exportKind, node.specifiers),
      ExportAllDeclaration: (node) => check(node, node.exportKind, []),
    };
  },
};

export default [
  {
    files: ['src/**/*.ts'],
    languageOptions: { parser: tsParser, parserOptions: { sourceType: 'module' } },
    plugins: { import: importPlugin, hookferry: { rules: { 'workflow-imports': workflowImports } } },
    settings: {
      'import/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import/resolver': { node: { extensions: ['.ts', '.js', '.json'] } },
    },
    rules: {
      'import/no-cycle': ['error', { ignoreExternal: true }],
      'import/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: src('domain'),
              from: ['api', 'activities', 'workflows', 'services', 'delivery', 'worker', 'db', 'temporal', 'metrics', 'mail', 'devStack'].map(src),
              message: 'src/domain is pure logic and data types: it imports nothing but itself.',
            },
            {
              target: [src('db'), src('temporal'), src('mail')],
              from: ['api', 'activities', 'workflows', 'services', 'delivery', 'worker', 'metrics'].map(src),
              message: 'db, temporal and mail are infrastructure: they know nothing of what uses them.',
            },
            { target: src('metrics'), from: ['api', 'activities', 'workflows', 'worker'].map(src), message: 'metrics are called by the code they measure, not the other way round.' },
            { target: src('services'), from: ['api', 'activities', 'delivery', 'worker'].map(src), message: 'services are transport-neutral and below the API, activities and delivery.' },
            { target: src('delivery'), from: ['api', 'activities', 'worker'].map(src), message: 'src/delivery is called by the activities; it does not know them or the API.' },
            { target: src('activities'), from: ['api', 'worker'].map(src), message: 'activities do not know the API or the worker that registers them.' },
            {
              target: [src('services'), src('activities'), src('delivery')],
              from: src('workflows'),
              except: ['./signals.ts', './types.ts', './deliveryWorkflowStart.ts'],
              message: 'outside Temporal, workflows are started by type name (src/temporal/names.ts); only their signals, input types and start options are shared.',
            },
            { target: src('api'), from: ['activities', 'delivery', 'workflows', 'worker'].map(src), message: 'the API writes rows and starts workflows through src/services.' },
            { target: [src('api/routes'), src('api/presenters')], from: src('db'), except: ['./schema.ts'], message: 'routes call services; they do not query the database.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: { 'hookferry/workflow-imports': 'error' },
  },
];
