/**
 * The API's types, models and client are generated from the OpenAPI spec, their one source
 * (plugins/delivery-backend/src/schema/openapi.yaml): `yarn generate:openapi` writes
 * ./schema/openapi/generated.
 */
export * from './schema/openapi/generated';
