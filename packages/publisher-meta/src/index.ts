/**
 * @pmoves/publisher-meta — Schemas, payload builder, enrichment extender and Discord embed formatter for PMOVES content.published.v1 events.
 *
 * @packageDocumentation
 */

/** Version of this package's public API contract. */
export const API_VERSION = '0.0.0';
