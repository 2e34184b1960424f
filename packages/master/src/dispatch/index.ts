// The dispatch box: sending attempts to workers and hearing back from them (one Dispatch stream per
// node), the deadline on a worker's first answer, and the circuit breaker that skips failing nodes.
export { Dispatcher, type DispatcherOptions, type NodeTransport } from './dispatcher.js';
export { AnswerDeadlines, type AwaitingAnswer } from './answer-deadlines.js';
export {
  CircuitBreaker,
  DispatchBreakers,
  DEFAULT_BREAKER_OPTIONS,
  type BreakerOptions,
  type BreakerState,
  type DispatchBreakersOptions,
} from './dispatch-breaker.js';
