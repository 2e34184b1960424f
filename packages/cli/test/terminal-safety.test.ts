import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeControls } from '@dist-exec/core';
import { runCli, startTestCluster, type TestCluster } from '@dist-exec/testing';

/** What a hostile command carries: retitle the window, clear the screen, reverse the text after it. */
const TITLE = '\x1b]0;pwned\x07';
const CLEAR = '\x1b[2J';
const RLO = '\u202e';
const HOSTILE = `echo hi ${TITLE}${CLEAR}${RLO}txt.exe`;

/** A raw control character a terminal would act on (escaped text is plain ASCII backslashes). */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('escapeControls', () => {
  it('escapes C0, DEL, C1 and bidirectional controls and leaves the rest alone', () => {
    expect(escapeControls('make -C /src test')).toBe('make -C /src test');
    expect(escapeControls('a\nb\tc\rd')).toBe('a\\nb\\tc\\rd');
    expect(escapeControls(`${TITLE}${CLEAR}`)).toBe('\\x1b]0;pwned\\x07\\x1b[2J');
    expect(escapeControls('\x7f\u009b\u202e\u2066x')).toBe('\\x7f\\u009b\\u202e\\u2066x');
    expect(escapeControls('grüße 日本 \\x1b')).toBe('grüße 日本 \\x1b');
  });
});

describe('the CLI prints what others wrote escaped', () => {
  let cluster: TestCluster;
  let env: NodeJS.ProcessEnv;
  let id = '';

  beforeAll(async () => {
    cluster = await startTestCluster({ workers: 1 });
    env = { DIST_EXEC_MASTER: cluster.address, DIST_EXEC_TOKEN: cluster.adminToken };
    const { job } = await cluster.client.submit({ command: HOSTILE, labels: { team: `web${CLEAR}` } });
    id = job.id;
    await cluster.client.waitForJob(id);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('list, status and cluster show the command and labels escaped, never raw', async () => {
    const list = await runCli(['list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout.toString()).not.toMatch(RAW_CONTROL);
    expect(list.stdout.toString()).toContain('echo hi \\x1b]0;pwned\\x07\\x1b[2J\\u202etxt.exe');

    const status = await runCli(['status', id], env);
    expect(status.code).toBe(0);
    const text = status.stdout.toString();
    expect(text).not.toMatch(RAW_CONTROL);
    expect(text).toContain('Command:      echo hi \\x1b]0;pwned\\x07\\x1b[2J\\u202etxt.exe');
    expect(text).toContain('team=web\\x1b[2J');

    // JSON is for programs: it keeps the command exactly (JSON escapes control characters itself).
    const json = await runCli(['status', '--json', id], env);
    expect((JSON.parse(json.stdout.toString()) as { command: string }).command).toBe(HOSTILE);

    for (const command of [['nodes'], ['cluster']]) {
      const result = await runCli(command, env);
      expect(result.code).toBe(0);
      expect(result.stdout.toString()).not.toMatch(RAW_CONTROL);
    }
  });

  it('an error that echoes what the user typed escapes it too', async () => {
    const result = await runCli(['run', '--label', `${CLEAR}k=v`, 'true'], env);
    expect(result.code).toBe(125);
    expect(result.stderr).not.toMatch(RAW_CONTROL);
    expect(result.stderr).toContain('\\x1b[2Jk');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});
