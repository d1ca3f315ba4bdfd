import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  GraphQLError, Kind, NoSchemaIntrospectionCustomRule, specifiedRules,
  type ASTVisitor, type FieldNode, type FragmentDefinitionNode, type ParseOptions, type SelectionSetNode, type ValidationContext, type ValidationRule,
} from 'graphql';
import { unstorableTextReason } from '../../shared/index.js';

/**
 * Most lexical tokens one document may hold; the parser stops counting at once past it (graphql-js `maxTokens`), so a
 * 135 KB `{ revision revision … }` costs microseconds, not the seconds its quadratic field-merge check would. A full
 * 100-SKU `offers` query with every field is about 260 tokens.
 */
export const MAX_TOKENS = 2_000;
/** Deepest selection nesting one operation may use (QUALITY B2), fragments counted where they are spread. */
export const MAX_DEPTH = 8;
/** Most aliases one operation may use. */
export const MAX_ALIASES = 30;
/**
 * Most work one operation may ask for: every selected field costs 1, times the sizes of the lists around it. A full
 * `offers` query of 100 SKUs with every field costs about 36,000; thirty aliased copies of it cost a million.
 */
export const MAX_COST = 50_000;

/** How every channel entrance parses an operation: over HTTP (Apollo's `parseOptions`) and WebSocket alike. */
export const PARSE_OPTIONS: ParseOptions = { maxTokens: MAX_TOKENS, noLocation: false };

/** Assumed sizes of list fields (the most they hold in practice, or their argument's cap). */
const LIST_SIZES: Record<string, number> = { locations: 50, adjustments: 10, attributes: 20, lines: 200, consents: 3, rejectedCoupons: 20, edges: 1 };

/** The size a list field stands for: its literal argument when given (`offers(skus: […])`, `products(first: n)`), else its cap. */
function listSize(node: FieldNode): number {
  const name = node.name.value;
  const arg = (n: string) => node.arguments?.find((a) => a.name.value === n)?.value;
  if (name === 'offers') { const v = arg('skus'); return v?.kind === Kind.LIST ? Math.max(1, v.values.length) : 100; }
  if (name === 'products') { const v = arg('first'); return v?.kind === Kind.INT ? Math.max(1, Number(v.value)) : v ? 100 : 20; }
  return LIST_SIZES[name] ?? 1;
}

/** The refusal of a document, as every entrance reports it: `extensions.code` BAD_USER_INPUT once formatted. */
function refusal(message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', ...extensions } });
}

/**
 * The list-size-aware cost of each operation (see MAX_COST). Each fragment's cost is worked out once and reused
 * wherever it is spread — cost is linear in the multiplier around a spread — so 120 chained fragments that each spread
 * the previous one twice (a cost of 2^120) are priced in linear time and refused, never expanded.
 * Not graphql-query-complexity: it re-walks a fragment at every spread, exponential on exactly that document.
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
      if (s.kind === Kind.FIELD) { const m = listSize(s); cost += m + m * costOf(s.selectionSet); }
      else if (s.kind === Kind.INLINE_FRAGMENT) cost += costOf(s.selectionSet);
      else cost += costOfFragment(s.name.value);
      if (cost > Number.MAX_SAFE_INTEGER) return Infinity;
    }
    return cost;
  };
  return {
    OperationDefinition: {
      leave(node) {
        const cost = costOf(node.selectionSet);
        if (cost > MAX_COST) context.reportError(refusal(`Query is too costly (cost ${cost > MAX_COST * 10 ? `over ${MAX_COST * 10}` : cost}; at most ${MAX_COST})`, { maxCost: MAX_COST }));
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
 * Every validation rule an operation passes before it runs, on every transport: graphql-js's own rules, then depth
 * and alias limits (graphql-armor), the list-aware cost limit, storable text and — when introspection is off, as in
 * production — no schema introspection.
 */
export function operationRules(introspection: boolean): readonly ValidationRule[] {
  const armor = { propagateOnRejection: false, onReject: [reported], exposeLimits: true };
  return [
    ...specifiedRules,
    maxDepthRule({ ...armor, n: MAX_DEPTH, flattenFragments: true, ignoreIntrospection: false }) as ValidationRule,
    maxAliasesRule({ ...armor, n: MAX_ALIASES }) as ValidationRule,
    costLimitRule,
    storableLiteralsRule,
    ...(introspection ? [] : [NoSchemaIntrospectionCustomRule]),
  ];
}

/** The rules beyond graphql-js's own, for servers (Apollo) that add `specifiedRules` themselves. */
export function extraOperationRules(introspection: boolean): readonly ValidationRule[] {
  return operationRules(introspection).filter((r) => !specifiedRules.includes(r));
}

/**
 * Hides graphql-js's "Did you mean …?" hints, which would name fields, arguments, types and enum values that a
 * closed introspection hides. @example withoutSuggestions('Cannot query field "revisio" on type "Query". Did you mean "revision"?') // 'Cannot query field "revisio" on type "Query".'
 */
export function withoutSuggestions(message: string): string {
  return message.replace(/\s*Did you mean [^?]*\?/g, '');
}
