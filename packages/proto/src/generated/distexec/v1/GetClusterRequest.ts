// Original file: proto/distexec/v1/node_service.proto


export interface GetClusterRequest {
}

export interface GetClusterRequest__Output {
}
