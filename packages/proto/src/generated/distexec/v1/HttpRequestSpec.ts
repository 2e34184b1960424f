// Original file: proto/distexec/v1/types.proto


export interface HttpRequestSpec {
  'url'?: (string);
  'method'?: (string);
  'headers'?: ({[key: string]: string});
  'body'?: (Buffer | Uint8Array | string);
  'expectedStatus'?: (number)[];
}

export interface HttpRequestSpec__Output {
  'url': (string);
  'method': (string);
  'headers': ({[key: string]: string});
  'body': (Buffer);
  'expectedStatus': (number)[];
}
