export { compareReports, incomparable, buildIdentity, buildDifferences, METRICS, type Comparison, type Row, type Cell, type Status } from './compare';
export { formatComparison, comparisonMarkdown } from './format';
export { loadReport, loadComparable, parseReportJson, asRunReport, ReportInputError } from './load';
