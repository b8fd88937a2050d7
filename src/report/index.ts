// The report module's public API.

export { escapeHtml } from './format.ts';
export { loadReportInput, reportConfigOf, type LoadReportOptions } from './load.ts';
export { renderReport } from './render.ts';
export type { ReportConfig, ReportEnvironment, ReportInput, ReportPipeline, ReportPipelineConfig } from './types.ts';
export { updateReport } from './update-queue.ts';
export type { ReportChange, UpdateReportOptions, UpdateResult } from './update.ts';
export { writeReport } from './write.ts';
