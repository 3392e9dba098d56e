export interface Config {
  delivery?: {
    onCall?: {
      /**
       * Entity ref of the on-call group (e.g. `group:default/oncall`). Its members see Abort
       * on every deployment of every service and the kill switch on every flag, as the backend
       * lets them abort any deployment and kill any flag.
       * @visibility frontend
       */
      group?: string;
    };
  };
}
