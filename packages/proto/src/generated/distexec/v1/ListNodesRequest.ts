// Original file: proto/distexec/v1/node_service.proto


export interface ListNodesRequest {
}

export interface ListNodesRequest__Output {
}
