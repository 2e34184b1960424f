// Original file: proto/distexec/v1/execution_service.proto


export interface AttemptDeclined {
  'code'?: (number);
  'message'?: (string);
}

export interface AttemptDeclined__Output {
  'code': (number);
  'message': (string);
}
