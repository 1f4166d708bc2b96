// For config tests: the lines of the ConfigError a text raises (none when it is valid).
import assert from 'node:assert/strict';
import { ConfigError, parseConfigText } from './load.ts';

export function configProblems(text: string, file = 'mooring.yaml', env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfigText(text, file, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message.split('\n');
  }
  return [];
}
