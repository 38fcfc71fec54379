export { parseThreshold, validateThresholds, ThresholdError, THRESHOLD_HELP, type Threshold } from './grammar';
export { evaluateThresholds, evaluateThreshold, metricValue } from './evaluate';
export { createAbortEvaluator, type AbortEvaluator, type LiveCounters, type LostThreshold } from './live';
