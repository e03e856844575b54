/** The wire contract the console speaks (SPEC §2 event, §3 message, §8 HTTP, §9 WebSocket) — only what it reads. */

/** Events and messages as the engine defines them (patterns/schema.ts): type-only, erased by esbuild. */
import type { Static } from 'typebox';
import type { Message } from '../../patterns/model';
import type { ThredViewSchema } from '../../gateway/schemas';
export type { DeadLetter } from '../../store/dead-letters';
export type { Pattern } from '../../patterns/model';
export type { EventData, Message, ThredsEvent } from '../../patterns/model';

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

/** A thred as GET /threds and GET /threds/:id answer it, typed by the route schema. */
export type ThredView = Static<typeof ThredViewSchema>;

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
