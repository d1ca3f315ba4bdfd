import { GraphQLScalarType, Kind } from 'graphql';
import { DomainError } from '../../shared/index.js';

/**
 * A revision as a client sends it: a decimal string of at most 15 digits (or an integer).
 * @throws DomainError BAD_USER_INPUT.
 */
function parseRevision(value: unknown): number {
  const s = typeof value === 'number' ? String(value) : value;
  if (typeof s !== 'string' || !/^\d{1,15}$/.test(s))
    throw new DomainError('BAD_USER_INPUT', 'A revision is a decimal string of digits', {});
  return Number(s);
}

/** GraphQL `Revision`: a 64-bit revision as a decimal string. */
export const Revision = new GraphQLScalarType({
  name: 'Revision',
  description: 'Decimal string of a 64-bit revision.',
  serialize: (v) => String(v),
  parseValue: parseRevision,
  parseLiteral: (ast) =>
    ast.kind === Kind.STRING || ast.kind === Kind.INT
      ? parseRevision(ast.value)
      : (() => {
          throw new DomainError('BAD_USER_INPUT', 'A revision is a decimal string', {});
        })(),
});

/** GraphQL `DateTime`: ISO 8601, UTC. */
export const DateTime = new GraphQLScalarType({
  name: 'DateTime',
  description: 'ISO 8601, UTC.',
  serialize: (v) => (v instanceof Date ? v.toISOString() : String(v)),
});
