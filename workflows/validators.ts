/**
 * Update validators. A rejected update never reaches history, so a malformed argument cannot enter the queue, where
 * taking it would fail the workflow task again on every replay. They read the argument's shape only, never the
 * thred's state: replay skips them, so their answer must not depend on anything a run holds.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { isRecord, type ThredsEvent } from '../patterns/thred-machine';
import type { ControlRequest } from './messages';

/** An offered event has the fields the router and the interpreter key on: id, type and source id. */
export function validateOffer(event: ThredsEvent): void {
  if (!isRecord(event)) reject('offer: the argument is not an event');
  if (!isName(event.id)) reject('offer: the event has no id');
  if (!isName(event.type)) reject(`offer: event ${event.id} has no type`);
  if (!isRecord(event.source) || !isName(event.source.id)) reject(`offer: event ${event.id} has no source id`);
  if (event.data !== undefined && !isRecord(event.data))
    reject(`offer: event ${event.id} has data that is not an object`);
}

/** A control request is a terminate (with an optional reason) or a transition naming its target. */
export function validateControl(request: ControlRequest): void {
  if (!isRecord(request)) reject('control: the argument is not a request');
  switch (request.op) {
    case 'terminate':
      if (request.reason !== undefined && typeof request.reason !== 'string')
        reject('control: the reason is not a string');
      return;
    case 'transition':
      if (!isRecord(request.transition) || !isName(request.transition.name)) {
        reject('control: the transition has no name');
      }
      return;
    default:
      reject(`control: unknown op ${JSON.stringify((request as { op?: unknown }).op)}`);
  }
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function reject(message: string): never {
  throw ApplicationFailure.nonRetryable(message, 'InvalidUpdate');
}
