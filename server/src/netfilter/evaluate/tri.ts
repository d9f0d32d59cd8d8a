/** Three-valued logic for matching with unknown packet fields: yes, no, or "depends". */
export type Tri = 'yes' | 'no' | 'unknown';

export const and = (a: Tri, b: Tri): Tri => (a === 'no' || b === 'no' ? 'no' : a === 'yes' && b === 'yes' ? 'yes' : 'unknown');
export const not = (a: Tri): Tri => (a === 'yes' ? 'no' : a === 'no' ? 'yes' : 'unknown');
export const fromBool = (b: boolean): Tri => (b ? 'yes' : 'no');
/** Negation as iptables applies it: `!` flips a known answer, an unknown stays unknown. */
export const negate = (a: Tri, negated: boolean): Tri => (negated ? not(a) : a);
