// `npm run -s hookferry -- …` as a user runs it, against a running API.
import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';
import { startStack, TEST_ADMIN_KEY, type Stack } from '../helpers/stack';

const ROOT = path.resolve(__dirname, '../..');

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ noWorker: true });
});
afterAll(async () => stack?.stop());

function hookferryCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', ...args],
      { cwd: ROOT, env: { ...process.env, HOOKFERRY_URL: stack.apiUrl, HOOKFERRY_ADMIN_KEY: TEST_ADMIN_KEY } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('create-team prints only `export KEY=…` on stdout, so the line can be pasted or eval-ed, and the key works', async () => {
  const out = await hookferryCli('create-team', '--name', 'Acme', '--email', 'ops@acme.test', '--credits', '1000');
  expect(out.code).toBe(0);
  expect(out.stdout).toMatch(/^export KEY=hf_[0-9a-f]{12}_[A-Za-z0-9_-]+\n$/);
  expect(out.stderr).toMatch(/^Created team Acme \(team_[^)]+\) with 1000 credits\./);

  const evaluated = spawnSync('sh', ['-c', 'eval "$1" && printf %s "$KEY"', 'sh', out.stdout], { encoding: 'utf8' });
  const key = evaluated.stdout;
  expect(`export KEY=${key}\n`).toBe(out.stdout);
  const me = await stack.call('GET', '/v1/me', { key });
  expect(me).toMatchObject({ status: 200, body: { team: { name: 'Acme' } } });
});

test('--json prints the API answer for scripts; grant-credits and issue-key work on the team', async () => {
  const created = await hookferryCli('create-team', '--name', 'Scripted', '--email', 'ops@scripted.test', '--json');
  expect(created.code).toBe(0);
  const team = JSON.parse(created.stdout) as { id: string; apiKey: string; credits: number };
  expect(team).toMatchObject({ id: expect.stringMatching(/^team_/), apiKey: expect.stringMatching(/^hf_/), credits: 0 });

  const granted = await hookferryCli('grant-credits', '--team', team.id, '--amount', '50', '--json');
  expect(JSON.parse(granted.stdout)).toEqual({ balance: 50, releasedDeliveries: 0 });

  const issued = await hookferryCli('issue-key', '--team', team.id, '--label', 'ci');
  expect(issued.stdout).toMatch(/^export KEY=hf_/);
  const key = issued.stdout.trim().slice('export KEY='.length);
  expect((await stack.call('GET', '/v1/me', { key })).body.team.id).toBe(team.id);
});

test('mistakes get one clear line and a non-zero exit, never a stack trace', async () => {
  const badCredits = await hookferryCli('create-team', '--name', 'X', '--email', 'x@x.test', '--credits', 'lots');
  expect(badCredits).toMatchObject({ code: 1, stdout: '' });
  expect(badCredits.stderr).toBe('--credits must be a whole number ≥ 0, not "lots"\n');

  const badEmail = await hookferryCli('create-team', '--name', 'X', '--email', 'not-an-email');
  expect(badEmail.code).toBe(1);
  expect(badEmail.stderr).toMatch(/^Hookferry answered 400, validation_error: .*notificationEmail/);

  const unknownTeam = await hookferryCli('grant-credits', '--team', 'team_nope', '--amount', '5');
  expect(unknownTeam.stderr).toMatch(/^Hookferry answered 404, not_found/);
  expect(`${badCredits.stderr}${badEmail.stderr}${unknownTeam.stderr}`).not.toMatch(/\n\s+at /);
});
