import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  GraphQLError,
  Kind,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ParseOptions,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { unstorableTextReason } from '../../shared/index.js';

/**
 * Most lexical tokens one document may hold; the parser stops counting at once past it (graphql-js
 * `maxTokens`), so a 135 KB `{ revision revision … }` costs microseconds, not the seconds its quadratic
 * field-merge check would. A full 100-SKU `offers` query with every field is about 260 tokens.
 */
export const MAX_TOKENS = 2_000;
/** Deepest selection nesting one operation may use (QUALITY B2), fragments counted where they are spread. */
export const MAX_DEPTH = 8;
/** Most aliases one operation may use. */
export const MAX_ALIASES = 30;
/**
 * Most work one operation may ask for: every selected field costs 1 (an offer or quote 50 more), times the
 * sizes of the lists around it. A full `offers` query of 100 SKUs with every field costs about 41,000.
 */
export const MAX_COST = 50_000;

/**
 * How every channel entrance parses an operation: over HTTP (Apollo's `parseOptions`) and WebSocket alike.
 */
export const PARSE_OPTIONS: ParseOptions = { maxTokens: MAX_TOKENS, noLocation: false };

/**
 * What one item of these fields costs beyond its fields: an offer is priced and its stock read, about 50
 * fields' work; a quote prices up to 200 lines (its input is a variable the limits cannot see), so it counts
 * as 40 offers. So 30 aliased 100-SKU `offers`, or 25 aliased quotes, are refused however few fields they
 * select.
 */
const COMPUTED: Record<string, number> = {
  offer: 50,
  offers: 50,
  offerChanged: 50,
  // Four channels' offers: its panes' `offer` fields count as offers too.
  channelMirror: 200,
  channelMirrorChanged: 200,
  quote: 2_000,
  // One answer prices up to 1,000 candidate offers whatever its `first` (MAX_CANDIDATES): each item asked
  // counts as 8 offers, so the default 5 costs what a quote does and a few aliased `first: 20` are refused.
  nextBestOffers: 400,
};

/** Assumed sizes of list fields (the most they hold in practice, or their argument's cap). */
const LIST_SIZES: Record<string, number> = {
  locations: 50,
  adjustments: 10,
  attributes: 20,
  lines: 200,
  consents: 3,
  rejectedCoupons: 20,
  edges: 1,
  nodes: 1,
  identifiers: 10,
  segments: 20,
  channels: 4,
  // The channel mirror's WEB, APP, STORE and CALL_CENTER.
  panes: 4,
  topics: 4,
  // A merge's two profiles.
  unmergeCustomers: 2,
};

/**
 * Paged list fields: how many items they stand for without `first` (its default) and with `first` in a
 * variable (its cap). A literal `first` counts as given.
 */
const PAGED: Record<string, { byDefault: number; cap: number }> = {
  products: { byDefault: 20, cap: 100 },
  timeline: { byDefault: 50, cap: 200 },
  dataUse: { byDefault: 50, cap: 200 },
  nextBestOffers: { byDefault: 5, cap: 20 },
  // A profile's corrections (Customer.history); an order's history has no `first` and counts as its default.
  history: { byDefault: 100, cap: 500 },
};

/**
 * The size a list field stands for: its literal argument when given (`offers(skus: […])`, `products(first:
 * n)`, `timeline(first: n)`), else its cap (a paged field without `first`: its default).
 */
function listSize(node: FieldNode): number {
  const name = node.name.value;
  const arg = (n: string) => node.arguments?.find((a) => a.name.value === n)?.value;
  if (name === 'offers') {
    const v = arg('skus');
    return v?.kind === Kind.LIST ? Math.max(1, v.values.length) : 100;
  }
  const paged = PAGED[name];
  if (paged) {
    const v = arg('first');
    return v?.kind === Kind.INT ? Math.max(1, Number(v.value)) : v ? paged.cap : paged.byDefault;
  }
  return LIST_SIZES[name] ?? 1;
}

/**
 * The refusal of a document, as every entrance reports it: `extensions.code` BAD_USER_INPUT once formatted.
 */
function refusal(message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', ...extensions } });
}

/**
 * The list-size-aware cost of each operation (see MAX_COST). Each fragment's cost is worked out once and
 * reused wherever it is spread — cost is linear in the multiplier around a spread — so 120 chained fragments
 * that each spread the previous one twice (a cost of 2^120) are priced in linear time and refused, never
 * expanded. Not graphql-query-complexity: it re-walks a fragment at every spread, exponential on exactly that
 * document.
 */
function costLimitRule(context: ValidationContext): ASTVisitor {
  const fragmentCost = new Map<string, number>();
  const onPath = new Set<string>();
  const costOfFragment = (name: string): number => {
    const known = fragmentCost.get(name);
    if (known !== undefined) return known;
    if (onPath.has(name)) return 0; // a cycle: NoFragmentCyclesRule reports it
    const fragment: FragmentDefinitionNode | null | undefined = context.getFragment(name);
    onPath.add(name);
    const cost = costOf(fragment?.selectionSet);
    onPath.delete(name);
    fragmentCost.set(name, cost);
    return cost;
  };
  const costOf = (set: SelectionSetNode | undefined): number => {
    let cost = 0;
    for (const s of set?.selections ?? []) {
      if (s.kind === Kind.FIELD) {
        const m = listSize(s);
        cost += m * (1 + (COMPUTED[s.name.value] ?? 0)) + m * costOf(s.selectionSet);
      } else if (s.kind === Kind.INLINE_FRAGMENT) cost += costOf(s.selectionSet);
      else cost += costOfFragment(s.name.value);
      if (cost > Number.MAX_SAFE_INTEGER) return Infinity;
    }
    return cost;
  };
  return {
    OperationDefinition: {
      leave(node) {
        const cost = costOf(node.selectionSet);
        if (cost > MAX_COST)
          context.reportError(
            refusal(
              `Query is too costly (cost ${cost > MAX_COST * 10 ? `over ${MAX_COST * 10}` : cost}; ` +
                `at most ${MAX_COST})`,
              { maxCost: MAX_COST },
            ),
          );
      },
    },
  };
}

/** Refuses string literals no text column can store (NUL, lone surrogates), as every other entrance does. */
function storableLiteralsRule(context: ValidationContext): ASTVisitor {
  return {
    StringValue(node) {
      const reason = unstorableTextReason(node.value);
      if (reason) context.reportError(refusal(`A string in the query ${reason}`));
    },
  };
}

/** The armor rules report instead of throwing, in our words and with our code. */
const reported = (context: ValidationContext | null, error: GraphQLError) => {
  context?.reportError(refusal(error.message.replace(/^Syntax Error: /, '')));
};

/**
 * How often one response name may be selected in one selection set. Repeats are legal GraphQL but pointless,
 * and graphql-js's field-merge check compares every pair of them: 1,990 `revision`s cost it 0.5 s.
 */
export const MAX_REPEATS = 3;
/**
 * Most fields one document may write out (fragments counted once, as written). The full 100-SKU `offers`
 * query has 40.
 */
export const MAX_FIELDS = 500;

/**
 * The limits that need no schema, checked on the syntax tree alone before any validation visitor (each of
 * which costs microseconds per node): how many fields the document writes, and how often one response name is
 * selected in one selection — the fields of the fragments spread into it included (each fragment's names
 * counted once and remembered), since graphql-js's field-merge check compares all of them pairwise.
 */
function syntaxLimits(document: DocumentNode): GraphQLError[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions)
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const known = new Map<string, Map<string, number>>();
  const onPath = new Set<string>();
  /** Response names selected in `set` with how often (at most MAX_REPEATS + 1: enough to refuse). */
  const namesOf = (set: SelectionSetNode): Map<string, number> => {
    const names = new Map<string, number>();
    const add = (name: string, n: number) =>
      names.set(name, Math.min(MAX_REPEATS + 1, (names.get(name) ?? 0) + n));
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) add(s.alias?.value ?? s.name.value, 1);
      else if (s.kind === Kind.INLINE_FRAGMENT) for (const [k, n] of namesOf(s.selectionSet)) add(k, n);
      else for (const [k, n] of namesOfFragment(s.name.value)) add(k, n);
    }
    return names;
  };
  const namesOfFragment = (name: string): Map<string, number> => {
    const cached = known.get(name);
    if (cached) return cached;
    const fragment = fragments.get(name);
    if (!fragment || onPath.has(name)) return new Map(); // unknown or cyclic: graphql-js's own rules say so
    onPath.add(name);
    const names = namesOf(fragment.selectionSet);
    onPath.delete(name);
    known.set(name, names);
    return names;
  };
  let fields = 0;
  const stack: SelectionSetNode[] = [];
  for (const d of document.definitions) if ('selectionSet' in d && d.selectionSet) stack.push(d.selectionSet);
  while (stack.length > 0) {
    const set = stack.pop()!;
    for (const s of set.selections) {
      if ('selectionSet' in s && s.selectionSet) stack.push(s.selectionSet);
      if (s.kind === Kind.FIELD && ++fields > MAX_FIELDS)
        return [refusal(`The document selects more than ${MAX_FIELDS} fields`, { maxFields: MAX_FIELDS })];
    }
    for (const [name, n] of namesOf(set)) {
      if (n > MAX_REPEATS)
        return [
          refusal(
            `"${name}" is selected more than ${MAX_REPEATS} times in one selection (fragments included)`,
            { maxRepeats: MAX_REPEATS },
          ),
        ];
    }
  }
  return [];
}

const armor = { propagateOnRejection: false, onReject: [reported], exposeLimits: true };

/**
 * The limits, checked first and alone (after the syntax limits): each is linear in the document (fragments
 * priced once), so a hostile document is refused before graphql-js's own rules — some of them quadratic —
 * ever see it. Each acts on operations only (see limitErrors).
 */
export const LIMIT_RULES: readonly ValidationRule[] = [
  // Introspection nests deeper than any query (the standard one: 15 levels); where it is closed a later rule
  // refuses it.
  maxDepthRule({
    ...armor,
    n: MAX_DEPTH,
    flattenFragments: true,
    ignoreIntrospection: true,
  }) as ValidationRule,
  maxAliasesRule({ ...armor, n: MAX_ALIASES }) as ValidationRule,
  costLimitRule,
];

/**
 * The rules an operation within the limits then passes: graphql-js's own, storable text and — when
 * introspection is off, as in production — no schema introspection. Apollo adds `specifiedRules` itself: give
 * it `withSpecified: false`.
 */
export function laterRules(introspection: boolean, withSpecified = true): readonly ValidationRule[] {
  return [
    ...(withSpecified ? specifiedRules : []),
    storableLiteralsRule,
    ...(introspection ? [] : [NoSchemaIntrospectionCustomRule]),
  ];
}

/**
 * A document parsed and within the limits, or why not (GraphQL errors with their code: parse or validation
 * failed).
 */
export type Checked =
  { document: DocumentNode; errors?: undefined } | { document?: undefined; errors: readonly GraphQLError[] };

/**
 * Parses `source` with the token limit and checks the LIMIT_RULES, the first step for every transport (over
 * HTTP in front of Apollo, whose own validation then runs the later rules; over WebSocket followed by
 * `laterRules`).
 */
export function withinLimits(source: string): Checked {
  let document: DocumentNode;
  try {
    document = parse(source, PARSE_OPTIONS);
  } catch (e) {
    return {
      errors: [new GraphQLError((e as Error).message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })],
    };
  }
  const errors = syntaxLimits(document);
  if (errors.length === 0) errors.push(...limitErrors(document));
  return errors.length > 0 ? { errors } : { document };
}

/**
 * Runs the LIMIT_RULES on each operation of `document` directly. Each of them does all its work when it meets
 * an operation (walking fragments itself, each once), so a full validation pass — which also tracks types at
 * every node, a few milliseconds for a hostile document of 2,000 tokens — is not needed to run them.
 */
function limitErrors(document: DocumentNode): GraphQLError[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions)
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const errors: GraphQLError[] = [];
  const context = {
    getFragment: (name: string) => fragments.get(name),
    reportError: (e: GraphQLError) => {
      errors.push(e);
    },
  } as unknown as ValidationContext;
  for (const rule of LIMIT_RULES) {
    type OnOperation = (this: unknown, node: OperationDefinitionNode) => unknown;
    const visitor = rule(context) as {
      OperationDefinition?: OnOperation | { enter?: OnOperation; leave?: OnOperation };
    };
    const on = visitor.OperationDefinition;
    for (const d of document.definitions) {
      if (d.kind !== Kind.OPERATION_DEFINITION) continue;
      if (typeof on === 'function') on.call(visitor, d);
      else {
        on?.enter?.call(visitor, d);
        on?.leave?.call(visitor, d);
      }
    }
  }
  return errors;
}

/** The whole check of one operation's document: within the limits, then every later rule (see laterRules). */
export function checkDocument(schema: GraphQLSchema, source: string, introspection: boolean): Checked {
  const limited = withinLimits(source);
  if (limited.errors) return limited;
  const errors = validate(schema, limited.document, laterRules(introspection));
  return errors.length > 0 ? { errors } : limited;
}

/**
 * Hides graphql-js's "Did you mean …?" hints, which would name fields, arguments, types and enum values that
 * a closed introspection hides. @example withoutSuggestions('Cannot query field "revisio" on type "Query".
 * Did you mean "revision"?') // 'Cannot query field "revisio" on type "Query".'
 */
export function withoutSuggestions(message: string): string {
  return message.replace(/\s*Did you mean [^?]*\?/g, '');
}
