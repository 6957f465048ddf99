// (being written: the random op family)
export {};
