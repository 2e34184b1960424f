/**
 * A failed TLS (or plaintext-to-TLS) connection, as one line a person can
 * act on. grpc-js reports these as UNAVAILABLE with OpenSSL's words inside
 * ("No connection established. Last error: Error: unable to verify the first
 * certificate"); callers that dial a master or a worker turn them into
 * "the master's certificate is not signed by --tls-ca", and so on.
 */

export interface TlsFailureContext {
  /** Who was dialled, as a message names it: "the master at 127.0.0.1:50051". */
  peer: string;
  /** Whether this client dialled with TLS. */
  secure: boolean;
}

const NOT_SIGNED =
  /unable to verify the first certificate|self[- ]signed certificate|unable to get (local )?issuer certificate|certificate signature failure|CERT_UNTRUSTED/i;
const CLIENT_CERT_WANTED = /alert certificate required|alert handshake failure|peer did not return a certificate/i;
const CLIENT_CERT_REFUSED = /alert (unknown ca|bad certificate|certificate unknown|decrypt error|certificate expired)/i;

/** Why a connection failed, when TLS is why. */
export interface TlsFailure {
  /** One line that says what to change. */
  message: string;
  /**
   * Only that the peer closed the connection during the handshake, which a
   * peer going away does too: worth trying again. The others are not.
   */
  closed: boolean;
}

/**
 * The one line for a connection that failed because of TLS, or null when
 * `details` (a grpc-js error's details or message) is about something else.
 */
export function describeTlsFailure(details: string, context: TlsFailureContext): TlsFailure | null {
  const message = tlsProblem(details, context);
  if (message !== null) return { message, closed: false };
  if (/Failed to connect|socket hang up|ECONNRESET|Client network socket disconnected before secure/i.test(details)) {
    // The server closed the connection during the handshake: it says no more than that.
    const { peer, secure } = context;
    return {
      message: secure
        ? `${peer} closed the connection during the TLS handshake: does it require a client certificate (--tls-cert and --tls-key, signed by its --tls-client-ca)?`
        : `${peer} closed the connection: if it serves TLS, pass --tls-ca (the CA of its certificate)`,
      closed: true,
    };
  }
  return null;
}

function tlsProblem(details: string, { peer }: TlsFailureContext): string | null {
  const hostMismatch = /certificate is for (.+?), not (\S+?)\.?(?:\s|$)/.exec(details);
  if (hostMismatch)
    return `the certificate of ${peer} is for ${hostMismatch[1]}, not ${hostMismatch[2]}: dial a name it holds, or give it a certificate for this name`;
  if (/wrong version number|packet length too long|unknown protocol|http request/i.test(details))
    return `${peer} does not serve TLS (no --tls-cert): dial it without --tls-ca and --tls-cert, or start it with --tls-cert and --tls-key`;
  if (/certificate has expired|CERT_HAS_EXPIRED/i.test(details))
    return `the certificate of ${peer} has expired: give it a new one (dist-exec tls init makes them)`;
  if (/certificate is not yet valid|CERT_NOT_YET_VALID/i.test(details))
    return `the certificate of ${peer} is not valid yet: is the clock of one of the machines wrong?`;
  if (NOT_SIGNED.test(details))
    return `the certificate of ${peer} is not signed by the CA in --tls-ca: give --tls-ca the CA that signed it`;
  if (CLIENT_CERT_WANTED.test(details))
    return `${peer} requires a client certificate: pass --tls-cert and --tls-key (a certificate signed by its --tls-client-ca)`;
  if (CLIENT_CERT_REFUSED.test(details))
    return `${peer} refused this client's certificate: it must be signed by the CA in the server's --tls-client-ca, and valid`;
  return null;
}
