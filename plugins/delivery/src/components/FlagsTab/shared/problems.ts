import {
  FlagDefinition,
  flagDefinitionProblems,
  FlagProblem,
  FlagType,
  FlagValue,
  ServiceFlag,
} from '@internal/plugin-delivery-common';

/** JSON text parsed, or the parser's complaint as a problem at `path`. */
export function parseJson(
  text: string,
  path: string,
): { value?: unknown; problem?: FlagProblem } {
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return {
      problem: {
        path,
        message: `not valid JSON (${e instanceof Error ? e.message : e})`,
      },
    };
  }
}

/**
 * A targeting rule typed into the editor, checked with the rules the backend applies
 * (`flagDefinitionProblems` from delivery-common): the JSON must parse, every operator must be
 * known, every variant it names must exist, fractional weights must be whole numbers above 0,
 * and the default variant must exist. Paths are the backend's
 * (`environments.<env>.targeting.…`), so a message reads the same in the editor and in a 422.
 */
export function targetingProblems(
  flag: ServiceFlag,
  environment: string,
  text: string,
  defaultVariant: string,
): { targeting?: { [key: string]: FlagValue }; problems: FlagProblem[] } {
  const path = `environments.${environment}.targeting`;
  const parsed = parseJson(text.trim() === '' ? '{}' : text, path);
  if (parsed.problem) return { problems: [parsed.problem] };
  const targeting = parsed.value as { [key: string]: FlagValue };
  const definition: FlagDefinition = {
    key: flag.key,
    type: flag.type,
    variants: flag.variants as { [name: string]: FlagValue },
    defaultVariant: flag.offVariant,
    environments: {
      [environment]: { state: 'ENABLED', defaultVariant, targeting },
    },
  };
  const problems = flagDefinitionProblems(definition, [environment]).filter(p =>
    p.path.startsWith(`environments.${environment}`),
  );
  return { targeting, problems };
}

/** What the New flag dialog holds. */
export interface NewFlagForm {
  key: string;
  description: string;
  type: FlagType;
  /** Variants as JSON text, `{ "name": value, ... }`. */
  variants: string;
  offVariant: string;
  onVariant: string;
  change: string;
}

/** Variants a new flag of a type starts with: on/off for a boolean. */
export function defaultVariants(type: FlagType): { [name: string]: FlagValue } {
  switch (type) {
    case 'boolean':
      return { on: true, off: false };
    case 'string':
      return { off: 'control', on: 'treatment' };
    case 'number':
      return { off: 0, on: 1 };
    default:
      return { off: {}, on: { enabled: true } };
  }
}

/** The variants of a form when they parse as an object, else undefined. */
export function parsedVariants(
  text: string,
): { [name: string]: FlagValue } | undefined {
  const { value } = parseJson(text, 'variants');
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as { [name: string]: FlagValue })
    : undefined;
}

/**
 * Everything wrong with a new flag, each with its path: the key, the type, the variants
 * (parsed, of the flag's type) and the off and on variants, which must be two different
 * variants. The definition rules are delivery-common's, as the backend applies them.
 */
export function newFlagProblems(form: NewFlagForm): FlagProblem[] {
  const parsed = parseJson(form.variants, 'variants');
  const variants = parsedVariants(form.variants);
  const problems: FlagProblem[] = [];
  if (parsed.problem) problems.push(parsed.problem);
  else if (!variants) {
    problems.push({
      path: 'variants',
      message: 'variants are an object of names and values, e.g. {"on": true}',
    });
  }
  const definition: FlagDefinition = {
    key: form.key.trim(),
    type: form.type,
    variants: variants ?? {},
    defaultVariant: form.offVariant,
    environments: {},
  };
  for (const problem of flagDefinitionProblems(definition, [])) {
    // Without variants, only the variants' own problem says anything useful.
    if (!variants && ['variants', 'defaultVariant'].includes(problem.path)) {
      continue;
    }
    problems.push(
      problem.path === 'defaultVariant'
        ? { ...problem, path: 'offVariant' }
        : problem,
    );
  }
  const names = Object.keys(variants ?? {});
  if (variants && !names.includes(form.onVariant)) {
    problems.push({
      path: 'onVariant',
      message: `${JSON.stringify(
        form.onVariant,
      )} is not a variant of this flag (variants: ${names.join(', ')})`,
    });
  } else if (variants && form.onVariant === form.offVariant) {
    problems.push({
      path: 'onVariant',
      message: 'the on variant is another variant than the off variant',
    });
  }
  if (form.description.length > 1000) {
    problems.push({
      path: 'description',
      message: 'a description has up to 1000 characters',
    });
  }
  if (form.change.length > 200) {
    problems.push({
      path: 'change',
      message: 'a change or ticket has up to 200 characters',
    });
  }
  return problems;
}
