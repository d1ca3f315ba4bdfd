/**
 * `npm run schema`: writes the channel API's schema, as the server serves it, to docs/schema.graphql (SDL),
 * for client teams to generate types from. A test keeps the file equal to the served schema.
 */
import { writeFileSync } from 'node:fs';
import { channelSchemaSdl } from '../channel-layer/index.js';

writeFileSync(new URL('../docs/schema.graphql', import.meta.url), channelSchemaSdl());
process.stdout.write('wrote docs/schema.graphql\n');
