export interface Config {
  delivery?: {
    onCall?: {
      /**
       * Entity ref of the on-call group (e.g. `group:default/oncall`). Its members see Abort
       * on every deployment of every service, as the backend lets them abort any.
       * @visibility frontend
       */
      group?: string;
    };
  };
}
