// The parts of the `stun` package (untyped CommonJS) that the TURN test client uses.
declare module 'stun' {
  interface StunAttribute {
    readonly value: unknown;
  }
  interface StunMessage {
    readonly type: number;
    readonly transactionId: Buffer;
    getAttribute(type: number): StunAttribute | undefined;
  }
  interface StunRequest extends StunMessage {
    addAttribute(type: number, ...values: unknown[]): boolean;
    addMessageIntegrity(key: Buffer | string): boolean;
    toBuffer(): Buffer;
  }
  const stun: {
    createMessage(type: number, transactionId?: Buffer): StunRequest;
    decode(bytes: Buffer): StunMessage;
    constants: Record<string, number>;
  };
  export default stun;
  export type { StunMessage, StunRequest };
}
