// Original file: proto/distexec/v1/node_service.proto


export interface DeregisterResponse {
}

export interface DeregisterResponse__Output {
}
