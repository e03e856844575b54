/** The wire contract the console speaks (SPEC §2 event, §3 message, §8 HTTP, §9 WebSocket) — only what it reads. */

export interface ThredsEvent {
  id: string;
  type: string;
  thredId?: string;
  re?: string;
  source: { id: string; name?: string; uri?: string };
  time?: number;
  data?: EventData;
}

export interface EventData {
  title?: string;
  description?: string;
  display?: { uri?: string };
  advice?: { eventType?: string; title?: string; template?: Template };
  content?: {
    type?: string;
    valuesType?: string;
    values?: Record<string, unknown> | unknown[];
    error?: { code?: number; message?: string };
    [key: string]: unknown;
  };
}

export interface Message {
  id: string;
  to: string[];
  event: ThredsEvent;
}

export interface Template {
  name?: string;
  description?: string;
  interactions?: { interaction?: { content?: Element[] } }[];
}

export interface Location {
  name?: string;
  latitude: number | string;
  longitude: number | string;
  display?: string;
}

export type Input =
  | { name: string; type: 'boolean'; display?: string; set?: { display: string; value: boolean }[] }
  | { name: string; type: 'numeric'; display?: string }
  | { name: string; type: 'text'; display?: string }
  | { name: string; type: 'nominal'; display?: string; set?: { display: string; value: string }[]; multiple?: boolean };

export interface Element {
  text?: { value?: string };
  input?: Input;
  map?: { locations?: Location[] };
  image?: { uri: string; width?: number; height?: number };
  video?: { uri: string };
  group?: { items?: Element[] };
}

export interface ApiError {
  statusCode?: number;
  code?: string | number;
  error?: string;
  message?: string;
  details?: { path?: string; reason?: string }[];
}

export interface ThredSummary {
  id: string;
  patternId?: string;
  patternName?: string;
  status?: string;
  reaction?: string | null;
  participants?: string[];
  startTime?: number;
  updateTime?: number;
  endTime?: number;
  broadcastAllowed?: boolean;
  meta?: { label?: string; description?: string };
}

/** Frames from the server on /ws. */
export type ServerFrame =
  | { type: 'welcome'; participantId: string; sessionId: string }
  | { type: 'message'; message: Message }
  | { type: 'ack'; eventId: string; thredIds?: string[]; started?: string[]; refused?: unknown[] }
  | { type: 'error'; re?: string; code?: string | number; message?: string; details?: ApiError['details'] };

export interface Session {
  participantId: string;
  roles: string[];
  accessToken: string;
  refreshToken?: string;
  expiresAt?: number | string;
}
