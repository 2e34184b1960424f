// Original file: proto/distexec/v1/execution_service.proto

import type { AttemptAccepted as _distexec_v1_AttemptAccepted, AttemptAccepted__Output as _distexec_v1_AttemptAccepted__Output } from '../../distexec/v1/AttemptAccepted.js';
import type { AttemptDeclined as _distexec_v1_AttemptDeclined, AttemptDeclined__Output as _distexec_v1_AttemptDeclined__Output } from '../../distexec/v1/AttemptDeclined.js';
import type { AttemptStarted as _distexec_v1_AttemptStarted, AttemptStarted__Output as _distexec_v1_AttemptStarted__Output } from '../../distexec/v1/AttemptStarted.js';
import type { AttemptOutput as _distexec_v1_AttemptOutput, AttemptOutput__Output as _distexec_v1_AttemptOutput__Output } from '../../distexec/v1/AttemptOutput.js';
import type { AttemptFinished as _distexec_v1_AttemptFinished, AttemptFinished__Output as _distexec_v1_AttemptFinished__Output } from '../../distexec/v1/AttemptFinished.js';

export interface DispatchEvent {
  'jobId'?: (string);
  'attempt'?: (number);
  'accepted'?: (_distexec_v1_AttemptAccepted | null);
  'declined'?: (_distexec_v1_AttemptDeclined | null);
  'started'?: (_distexec_v1_AttemptStarted | null);
  'output'?: (_distexec_v1_AttemptOutput | null);
  'finished'?: (_distexec_v1_AttemptFinished | null);
  'event'?: "accepted"|"declined"|"started"|"output"|"finished";
}

export interface DispatchEvent__Output {
  'jobId': (string);
  'attempt': (number);
  'accepted'?: (_distexec_v1_AttemptAccepted__Output | null);
  'declined'?: (_distexec_v1_AttemptDeclined__Output | null);
  'started'?: (_distexec_v1_AttemptStarted__Output | null);
  'output'?: (_distexec_v1_AttemptOutput__Output | null);
  'finished'?: (_distexec_v1_AttemptFinished__Output | null);
  'event'?: "accepted"|"declined"|"started"|"output"|"finished";
}
