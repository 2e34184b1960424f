// Original file: proto/distexec/v1/execution_service.proto

import type { AttemptStarted as _distexec_v1_AttemptStarted, AttemptStarted__Output as _distexec_v1_AttemptStarted__Output } from '../../distexec/v1/AttemptStarted.js';
import type { AttemptOutput as _distexec_v1_AttemptOutput, AttemptOutput__Output as _distexec_v1_AttemptOutput__Output } from '../../distexec/v1/AttemptOutput.js';
import type { AttemptFinished as _distexec_v1_AttemptFinished, AttemptFinished__Output as _distexec_v1_AttemptFinished__Output } from '../../distexec/v1/AttemptFinished.js';

export interface ExecuteEvent {
  'started'?: (_distexec_v1_AttemptStarted | null);
  'output'?: (_distexec_v1_AttemptOutput | null);
  'finished'?: (_distexec_v1_AttemptFinished | null);
  'event'?: "started"|"output"|"finished";
}

export interface ExecuteEvent__Output {
  'started'?: (_distexec_v1_AttemptStarted__Output | null);
  'output'?: (_distexec_v1_AttemptOutput__Output | null);
  'finished'?: (_distexec_v1_AttemptFinished__Output | null);
  'event'?: "started"|"output"|"finished";
}
