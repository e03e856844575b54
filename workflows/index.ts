// What the worker bundles: workflow functions only.
export { thred } from './thred';
