// Original file: proto/distexec/v1/types.proto


export interface HttpResult {
  'statusCode'?: (number);
  'headers'?: ({[key: string]: string});
}

export interface HttpResult__Output {
  'statusCode': (number);
  'headers': ({[key: string]: string});
}
