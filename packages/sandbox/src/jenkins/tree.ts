/*
 * Jenkins' `tree` query parameter of the remote access API (`/api/json?tree=...`): a list of
 * property names, sub-properties in square brackets, and on array properties an optional range
 * `{M,N}` (from M to before N), `{M,}`, `{,N}` or `{N}`. Only the named properties are kept;
 * `_class` is always kept, as Jenkins does.
 */

/** A parsed tree: property name → its own subtree (empty: no sub-properties) and range. */
export type Tree = Map<string, { children: Tree; range?: [number, number] }>;

/** Thrown for a tree Jenkins would refuse (it answers 400 then). */
export class TreeSyntaxError extends Error {}

/** Parses a `tree` value, e.g. `builds[number,actions[parameters[name,value]]]{0,10}`. */
export function parseTree(text: string): Tree {
  let i = 0;
  const fail = (what: string): never => {
    throw new TreeSyntaxError(`Malformed tree expression at ${i}: ${what}`);
  };
  const number = (): number | undefined => {
    const start = i;
    while (/[0-9]/.test(text[i] ?? '')) i++;
    return i > start ? Number(text.slice(start, i)) : undefined;
  };
  const list = (): Tree => {
    const tree: Tree = new Map();
    for (;;) {
      const start = i;
      while (i < text.length && !/[[\]{},]/.test(text[i])) i++;
      const name = text.slice(start, i).trim();
      if (!name) fail('a property name is missing');
      let children: Tree = new Map();
      if (text[i] === '[') {
        i++;
        children = list();
        if (text[i] !== ']') fail("']' expected");
        i++;
      }
      let range: [number, number] | undefined;
      if (text[i] === '{') {
        i++;
        const from = number();
        if (text[i] === ',') {
          i++;
          const to = number();
          range = [from ?? 0, to ?? Number.POSITIVE_INFINITY];
        } else {
          if (from === undefined) fail('a range needs a number');
          range = [from!, from! + 1];
        }
        if (text[i] !== '}') fail("'}' expected");
        i++;
      }
      tree.set(name, { children, ...(range ? { range } : {}) });
      if (text[i] !== ',') return tree;
      i++;
    }
  };
  const tree = list();
  if (i !== text.length) fail('unexpected character');
  return tree;
}

/** `value` with only what `tree` names (see the file comment). */
export function pruneTree(value: unknown, tree: Tree): unknown {
  if (Array.isArray(value)) return value.map(v => pruneTree(v, tree));
  if (!value || typeof value !== 'object') return value;
  const source = value as Record<string, unknown>;
  const pruned: Record<string, unknown> = {};
  if ('_class' in source) pruned._class = source._class;
  for (const [name, { children, range }] of tree) {
    if (!(name in source)) continue;
    let child = source[name];
    if (Array.isArray(child) && range) {
      child = child.slice(
        range[0],
        Number.isFinite(range[1]) ? range[1] : undefined,
      );
    }
    pruned[name] = pruneTree(child, children);
  }
  return pruned;
}
