// Original file: proto/distexec/v1/execution_service.proto


export interface AttemptAccepted {
}

export interface AttemptAccepted__Output {
}
