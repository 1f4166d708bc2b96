// Stable error codes, and the one place that maps each code to an HTTP status and text.

export const errorCatalog = {
  MOORING_BAD_REQUEST: { status: 400, text: 'Bad request' },
  MOORING_BODY_TOO_LARGE: { status: 413, text: 'Request body too large' },
  MOORING_URL_TOO_LONG: { status: 414, text: 'Request URL too long' },
  MOORING_TOO_MANY_HEADERS: { status: 431, text: 'Too many header fields' },
  MOORING_TRANSFER_CODING: { status: 501, text: 'Transfer-Encoding other than chunked is not supported' },
  MOORING_HTTP_VERSION: { status: 505, text: 'HTTP version not supported' },
  MOORING_NO_SERVER: { status: 503, text: 'No server is available' },
  MOORING_OVERLOADED: { status: 503, text: 'All servers are busy; try again shortly' },
  MOORING_QUEUE_TIMEOUT: { status: 503, text: 'Timed out waiting for a free server' },
  MOORING_PINNED_SERVER_DOWN: { status: 503, text: 'The server holding this session is unavailable' },
  MOORING_SESSION_SERVER_BUSY: { status: 503, text: 'The server holding this session is busy; try again shortly' },
  MOORING_UPSTREAM_REFUSED: { status: 502, text: 'The server refused the connection' },
  MOORING_UPSTREAM_RESET: { status: 502, text: 'The server closed the connection' },
  MOORING_UPSTREAM_BAD_RESPONSE: { status: 502, text: 'The server sent an invalid response' },
  MOORING_CONNECT_TIMEOUT: { status: 504, text: 'Timed out connecting to the server' },
  MOORING_UPSTREAM_TIMEOUT: { status: 504, text: 'The server did not answer in time' },
  MOORING_NO_ROUTE: { status: 404, text: 'No route for this request' },
  MOORING_DENIED: { status: 403, text: 'Denied by a routing rule' },
  MOORING_GEO_REFUSED: { status: 403, text: 'This service is not offered where the request comes from' },
  MOORING_INTERNAL: { status: 500, text: 'Internal error' },
} as const satisfies Record<string, { status: number; text: string }>;

export type ErrorCode = keyof typeof errorCatalog;
