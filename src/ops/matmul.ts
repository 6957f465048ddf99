// (being written: the matmul op family)
export {};
