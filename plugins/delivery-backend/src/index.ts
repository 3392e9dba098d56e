/**
 * The delivery backend plugin.
 *
 * @packageDocumentation
 */
export { deliveryPlugin as default } from './plugin';
export { deliveryEventsModuleGitHub } from './dora/github/module';
