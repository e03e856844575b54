/** The persistence task compiler lives in store/ (shared with the gateway's dataControl events). */
export * from '../store/persistence-query';
