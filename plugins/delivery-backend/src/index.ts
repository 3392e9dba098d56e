/**
 * The delivery backend plugin.
 *
 * @packageDocumentation
 */
export { deliveryPlugin as default } from './plugin';
