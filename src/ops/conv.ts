// (being written: the conv op family)
export {};
