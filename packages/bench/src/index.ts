export * from './scenario.js';
export { SCENARIOS } from './scenarios/index.js';
