// ${NAME} in any string value reads environment variable NAME (for secrets kept out of files).
import { nearest } from './suggest.ts';

export interface EnvProblem {
  path: (string | number)[];
  message: string;
}

const REFERENCE = /\$\{([^}]*)\}/g;
const VALID_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A copy of `value` with references replaced; problems collects unset or malformed references. */
export function substituteEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  problems: EnvProblem[],
  path: (string | number)[] = [],
): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (whole, name: string) => {
      if (!VALID_NAME.test(name)) {
        problems.push({ path, message: `"${whole}" is not a valid environment variable reference (expected \${NAME})` });
        return whole;
      }
      const found = env[name];
      if (found === undefined) {
        const guess = nearest(name, Object.keys(env));
        problems.push({ path, message: `environment variable ${name} is not set${guess ? `; did you mean ${guess}?` : ''}` });
        return whole;
      }
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, env, problems, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = substituteEnv(item, env, problems, [...path, key]);
    return out;
  }
  return value;
}
