// The audit layer's public API: one event per reported call, as JSON or as a line for people.
export { auditEvent, eventLine, humanLine, type AuditEvent, type EventContext, type Reported } from './event.js';
export { EventSink, type SinkOptions } from './sink.js';
