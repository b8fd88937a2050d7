// The report module's public API.

export { escapeHtml } from './format.ts';
export { loadReportInput, reportConfigOf, updateReport, type LoadReportOptions } from './load.ts';
export { renderReport } from './render.ts';
export type { ReportConfig, ReportEnvironment, ReportInput, ReportPipeline, ReportPipelineConfig } from './types.ts';
export { writeReport } from './write.ts';
