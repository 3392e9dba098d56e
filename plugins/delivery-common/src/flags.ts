/**
 * Feature flags as the portal stores them and flagd serves them: one definition per flag of a
 * service, with its state, default variant and targeting in each environment. The rules here
 * follow flagd's flag-definition schema (https://flagd.dev/schema/v0/flags.json) and go further
 * where the schema is silent (a variant named in targeting must exist; a fractional weight must
 * be a whole number above 0), so that a bad definition is refused with the exact problem instead
 * of failing at evaluation time in every application.
 */

/** The type of a flag's variant values. */
export type FlagType = 'boolean' | 'string' | 'number' | 'object';

export const FLAG_TYPES: readonly FlagType[] = [
  'boolean',
  'string',
  'number',
  'object',
];

/** A JSON value, as variants and targeting hold them. */
export type FlagValue =
  | string
  | number
  | boolean
  | null
  | FlagValue[]
  | { [key: string]: FlagValue };

/** A flag in one environment, as flagd reads it. */
export interface FlagEnvironmentState {
  state: 'ENABLED' | 'DISABLED';
  defaultVariant: string;
  /** JsonLogic (with flagd's operators); absent or `{}` means the default variant for all. */
  targeting?: { [key: string]: FlagValue };
}

/** A flag of a service. */
export interface FlagDefinition {
  key: string;
  description?: string;
  type: FlagType;
  variants: { [name: string]: FlagValue };
  /** The variant a new environment starts with (the "off" one). */
  defaultVariant: string;
  /** The change or ticket the flag belongs to, e.g. `PAY-142`. */
  change?: string;
  environments: { [environment: string]: FlagEnvironmentState };
}

/** One thing wrong with a definition: where (a path into it) and what. */
export interface FlagProblem {
  path: string;
  message: string;
}

/** JsonLogic's operators and flagd's own. */
const OPERATORS = new Set([
  // JsonLogic (https://jsonlogic.com/operations.html)
  'var',
  'missing',
  'missing_some',
  'if',
  '?:',
  '==',
  '===',
  '!=',
  '!==',
  '!',
  '!!',
  'or',
  'and',
  '>',
  '>=',
  '<',
  '<=',
  'max',
  'min',
  '+',
  '-',
  '*',
  '/',
  '%',
  'map',
  'reduce',
  'filter',
  'all',
  'none',
  'some',
  'merge',
  'in',
  'cat',
  'substr',
  // flagd (https://flagd.dev/reference/custom-operations/)
  'fractional',
  'sem_ver',
  'starts_with',
  'ends_with',
]);

const KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,99}$/;

function isObject(value: unknown): value is { [key: string]: FlagValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const article = (word: string) => (/^[aeiou]/.test(word) ? 'an' : 'a');

function typeOfValue(value: FlagValue): FlagType | 'null' | 'array' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'object';
  return typeof value as 'boolean' | 'string' | 'number';
}

/**
 * Walks a targeting rule: every operator must be known, `fractional` buckets must name variants
 * with whole weights above 0, and a variant chosen by `if` (a string in a result position) must
 * exist.
 */
function targetingProblems(
  rule: FlagValue,
  path: string,
  variants: string[],
  inResult: boolean,
): FlagProblem[] {
  const known = variants.join(', ');
  const unknownVariant = (name: string, at: string): FlagProblem => ({
    path: at,
    message: `"${name}" is not a variant of this flag (variants: ${known})`,
  });
  if (typeof rule === 'string') {
    return inResult && !variants.includes(rule)
      ? [unknownVariant(rule, path)]
      : [];
  }
  if (Array.isArray(rule)) {
    return rule.flatMap((item, i) =>
      targetingProblems(item, `${path}[${i}]`, variants, false),
    );
  }
  if (!isObject(rule)) return [];
  const operators = Object.keys(rule);
  if (operators.length !== 1) {
    return [
      {
        path,
        message: `a rule has exactly one operator, this one has ${
          operators.length === 0 ? 'none' : operators.join(', ')
        }`,
      },
    ];
  }
  const [operator] = operators;
  const at = `${path}.${operator}`;
  if (!OPERATORS.has(operator)) {
    return [{ path: at, message: `unknown operator "${operator}"` }];
  }
  const raw = rule[operator];
  const args = Array.isArray(raw) ? raw : [raw];
  if (operator === 'fractional') {
    return fractionalProblems(args, at, variants, unknownVariant);
  }
  if (operator === 'if' || operator === '?:') {
    // [condition, result, condition, result, ..., else]: results choose variants.
    return args.flatMap((arg, i) => {
      const result = i % 2 === 1 || i === args.length - 1;
      return targetingProblems(arg, `${at}[${i}]`, variants, result && i > 0);
    });
  }
  return args.flatMap((arg, i) =>
    targetingProblems(arg, `${at}[${i}]`, variants, false),
  );
}

function fractionalProblems(
  args: FlagValue[],
  at: string,
  variants: string[],
  unknownVariant: (name: string, at: string) => FlagProblem,
): FlagProblem[] {
  // An optional first argument says what to bucket by (default: the targeting key).
  const first = args[0];
  const buckets =
    first !== undefined && !Array.isArray(first) ? args.slice(1) : args;
  const offset = args.length - buckets.length;
  if (buckets.length === 0) {
    return [{ path: at, message: 'fractional needs at least one bucket' }];
  }
  return buckets.flatMap((bucket, b): FlagProblem[] => {
    const where = `${at}[${b + offset}]`;
    if (!Array.isArray(bucket) || bucket.length !== 2) {
      return [
        {
          path: where,
          message: 'a fractional bucket is [variant, weight], e.g. ["on", 10]',
        },
      ];
    }
    const [variant, weight] = bucket;
    const problems: FlagProblem[] = [];
    if (typeof variant !== 'string') {
      problems.push({
        path: `${where}[0]`,
        message: 'a fractional bucket names a variant',
      });
    } else if (!variants.includes(variant)) {
      problems.push(unknownVariant(variant, `${where}[0]`));
    }
    if (
      typeof weight !== 'number' ||
      !Number.isInteger(weight) ||
      weight <= 0
    ) {
      problems.push({
        path: `${where}[1]`,
        message: `a fractional weight is a whole number above 0, got ${JSON.stringify(
          weight,
        )}`,
      });
    }
    return problems;
  });
}

/**
 * Everything wrong with a flag definition, each with where it is; empty when flagd can serve
 * it. `environments` lists the environments the definition must cover.
 */
export function flagDefinitionProblems(
  flag: FlagDefinition,
  environments: readonly string[],
): FlagProblem[] {
  const problems: FlagProblem[] = [];
  if (typeof flag.key !== 'string' || !KEY.test(flag.key)) {
    problems.push({
      path: 'key',
      message:
        'a flag key starts with a letter and has up to 100 letters, digits, ".", "_" and "-"',
    });
  }
  if (!FLAG_TYPES.includes(flag.type)) {
    problems.push({
      path: 'type',
      message: `the type is one of ${FLAG_TYPES.join(', ')}`,
    });
  }
  const names = isObject(flag.variants) ? Object.keys(flag.variants) : [];
  if (names.length === 0) {
    problems.push({ path: 'variants', message: 'a flag has variants' });
  }
  for (const name of names) {
    const actual = typeOfValue(flag.variants[name]);
    if (FLAG_TYPES.includes(flag.type) && actual !== flag.type) {
      problems.push({
        path: `variants.${name}`,
        message: `${article(flag.type)} ${flag.type} flag's variants are ${
          flag.type
        }s, this one is ${
          actual === 'null' ? 'null' : `${article(actual)} ${actual}`
        }`,
      });
    }
  }
  const checkDefault = (variant: unknown, path: string) => {
    if (typeof variant !== 'string' || !names.includes(variant)) {
      problems.push({
        path,
        message: `${JSON.stringify(
          variant,
        )} is not a variant of this flag (variants: ${names.join(', ')})`,
      });
    }
  };
  checkDefault(flag.defaultVariant, 'defaultVariant');
  for (const environment of environments) {
    const env = flag.environments?.[environment];
    const path = `environments.${environment}`;
    if (!env) {
      problems.push({ path, message: `no settings for ${environment}` });
      continue;
    }
    if (env.state !== 'ENABLED' && env.state !== 'DISABLED') {
      problems.push({
        path: `${path}.state`,
        message: `the state is ENABLED or DISABLED, got ${JSON.stringify(
          env.state,
        )}`,
      });
    }
    checkDefault(env.defaultVariant, `${path}.defaultVariant`);
    if (env.targeting !== undefined) {
      if (!isObject(env.targeting)) {
        problems.push({
          path: `${path}.targeting`,
          message: 'targeting is a JsonLogic rule (an object)',
        });
      } else if (Object.keys(env.targeting).length > 0) {
        problems.push(
          ...targetingProblems(env.targeting, `${path}.targeting`, names, true),
        );
      }
    }
  }
  for (const environment of Object.keys(flag.environments ?? {})) {
    if (!environments.includes(environment)) {
      problems.push({
        path: `environments.${environment}`,
        message: `there is no environment ${environment} (${environments.join(
          ', ',
        )})`,
      });
    }
  }
  return problems;
}

/**
 * A flag in an environment turned on for `percent` % of users (by targeting key): off below 1 %,
 * the `on` variant for everyone at 100 %, flagd's `fractional` in between.
 */
export function rolloutSettings(
  percent: number,
  variants: { on: string; off: string },
): Pick<FlagEnvironmentState, 'state' | 'defaultVariant' | 'targeting'> {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
    throw new RangeError(
      `A rollout is a whole percentage from 0 to 100, got ${percent}`,
    );
  }
  if (percent === 0) return { state: 'ENABLED', defaultVariant: variants.off };
  if (percent === 100) return { state: 'ENABLED', defaultVariant: variants.on };
  return {
    state: 'ENABLED',
    defaultVariant: variants.off,
    targeting: {
      fractional: [
        [variants.on, percent],
        [variants.off, 100 - percent],
      ],
    },
  };
}

/** The settings of a flag that is off: its off variant for everyone. */
export function offSettings(flag: {
  offVariant: string;
}): Pick<FlagEnvironmentState, 'state' | 'defaultVariant'> {
  return { state: 'ENABLED', defaultVariant: flag.offVariant };
}

/** Whether anyone can get a variant other than the off one in an environment. */
export function isFlagOn(
  flag: { offVariant: string },
  settings: Pick<
    FlagEnvironmentState,
    'state' | 'defaultVariant' | 'targeting'
  >,
): boolean {
  return (
    settings.state === 'ENABLED' &&
    (settings.defaultVariant !== flag.offVariant ||
      (settings.targeting !== undefined &&
        Object.keys(settings.targeting).length > 0))
  );
}

/** The percentage of a plain rollout (what {@link rolloutSettings} writes), else undefined. */
export function rolloutPercentOf(
  flag: { onVariant: string; offVariant: string },
  settings: Pick<
    FlagEnvironmentState,
    'state' | 'defaultVariant' | 'targeting'
  >,
): number | undefined {
  if (settings.state !== 'ENABLED') return undefined;
  const targeting = settings.targeting;
  if (!targeting || Object.keys(targeting).length === 0) {
    if (settings.defaultVariant === flag.offVariant) return 0;
    if (settings.defaultVariant === flag.onVariant) return 100;
    return undefined;
  }
  const buckets = targeting.fractional;
  if (
    Object.keys(targeting).length !== 1 ||
    settings.defaultVariant !== flag.offVariant ||
    !Array.isArray(buckets) ||
    buckets.length !== 2 ||
    !buckets.every(b => Array.isArray(b))
  ) {
    return undefined;
  }
  const [[onName, onWeight], [offName, offWeight]] = buckets as [
    [FlagValue, FlagValue],
    [FlagValue, FlagValue],
  ];
  return onName === flag.onVariant &&
    offName === flag.offVariant &&
    typeof onWeight === 'number' &&
    typeof offWeight === 'number' &&
    onWeight + offWeight === 100
    ? onWeight
    : undefined;
}

/** A flag as flagd serves it in one environment (one entry of a flag configuration's `flags`). */
export function flagdFlag(
  flag: FlagDefinition,
  environment: string,
): {
  state: 'ENABLED' | 'DISABLED';
  variants: { [name: string]: FlagValue };
  defaultVariant: string;
  targeting?: { [key: string]: FlagValue };
} {
  const env = flag.environments[environment];
  if (!env) {
    throw new RangeError(`Flag ${flag.key} has no settings for ${environment}`);
  }
  return {
    state: env.state,
    variants: flag.variants,
    defaultVariant: env.defaultVariant,
    ...(env.targeting && Object.keys(env.targeting).length > 0
      ? { targeting: env.targeting }
      : {}),
  };
}

/**
 * The flag keys a commit message names in `Flag: <key>` trailers (its last paragraph, git's
 * trailer block; several keys may share a line, separated by commas), in order, once each.
 */
export function flagTrailers(message: string): string[] {
  const paragraphs = message.trim().split(/\n\s*\n/);
  if (paragraphs.length < 2) return [];
  const keys: string[] = [];
  for (const line of paragraphs[paragraphs.length - 1].split('\n')) {
    const match = /^flags?:\s*(.+)$/i.exec(line.trim());
    if (!match) continue;
    for (const key of match[1].split(',').map(k => k.trim())) {
      if (KEY.test(key) && !keys.includes(key)) keys.push(key);
    }
  }
  return keys;
}
